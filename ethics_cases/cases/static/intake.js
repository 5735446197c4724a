// Roll search as you type on "Who it is about". Progressive enhancement only: without this
// script the Search button lists the same results on the page.
(function () {
  "use strict";
  var input = document.querySelector("[data-roll-search]");
  if (!input || !window.fetch) { return; }
  var box = document.createElement("div");
  box.className = "results";
  box.setAttribute("aria-live", "polite");
  box.hidden = true;
  input.closest(".search-row").insertAdjacentElement("afterend", box);
  var timer = null;
  var latest = 0;

  function render(results, query) {
    box.textContent = "";
    if (!results.length) {
      var none = document.createElement("p");
      none.textContent = "No current member matches \u201c" + query + "\u201d. Try part of the name, or describe the person below.";
      box.appendChild(none);
    } else {
      var heading = document.createElement("p");
      heading.innerHTML = "<strong>Choose the member:</strong>";
      box.appendChild(heading);
      var list = document.createElement("ul");
      list.className = "choice-list";
      results.forEach(function (member) {
        var item = document.createElement("li");
        var label = document.createElement("label");
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = "member_id";
        radio.value = member.membership_number;
        var text = document.createElement("span");
        var name = document.createElement("strong");
        name.textContent = member.name;
        text.appendChild(name);
        text.appendChild(document.createTextNode(" \u00b7 " + member.membership_number + " \u00b7 " + member.type));
        label.appendChild(radio);
        label.appendChild(text);
        item.appendChild(label);
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    box.hidden = false;
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var query = input.value.trim();
    if (query.length < 2) { box.hidden = true; return; }
    timer = setTimeout(function () {
      var ticket = ++latest;
      fetch(input.getAttribute("data-roll-search") + "?q=" + encodeURIComponent(query),
            { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (ticket === latest) { render(data.results || [], query); } })
        .catch(function () { /* the Search button still works */ });
    }, 250);
  });
})();
