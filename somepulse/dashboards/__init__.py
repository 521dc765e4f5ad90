"""Grafana dashboards as code (built to ``deploy/grafana/dashboards/``)."""
