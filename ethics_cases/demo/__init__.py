"""Demo and benchmark data: ``flask demo generate`` and ``flask demo load-small``.

Everything is written through the operations real use goes through (roster import, account
registration, complaint filing, ``workflow.operations.fire``, ``audit.record``), so cases carry
real histories, messages, sanctions and an audit chain that ``flask audit verify`` accepts.
"""
