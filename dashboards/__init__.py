"""Grafana dashboards as code (built to ``deploy/grafana/dashboards/``).

The duty board, analyst overview and service health dashboards are generated here by
the board issue; the pipeline issue only reserves the package.
"""
