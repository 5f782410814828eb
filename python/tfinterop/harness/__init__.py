"""Running clients: the client registry (clients.json), the interop runner, the bundled
server process, the HTML report.
"""
