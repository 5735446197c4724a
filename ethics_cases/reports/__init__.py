"""Reports for the ethics committee: aggregate figures only, each computed by GROUP BY in the
database (a fixed number of queries whatever the caseload), drawn as inline SVG on the server
with the same figures in a table beneath and as CSV."""
