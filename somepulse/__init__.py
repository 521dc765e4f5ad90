"""SoMe Pulse: streaming metrics for public-sector social media teams.

Rooms, with imports flowing one way (a room imports only from rooms below it):

    tools      what people run: cli, demo, report, sql, board_png, stack, bench
    service    the worker process: wiring, HTTP endpoint, status
    streams    the Faust app, agents and the ingest line (processor, writer, dead letters)
    dashboards Grafana dashboards as code
    live       partition-scoped live caches and the queries that rebuild them
    alerts     surge rules, detector, delivery
    store      ClickHouse behind one interface, schema and reference data
    collectors what publishes events (scenario, replay)
    domain     the business rules (pages, office hours, signals, score), pure
    schemas    the wire events
    settings, telemetry, config, embedded
"""

__version__ = "0.2.0"
