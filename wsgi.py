"""WSGI entry for gunicorn: ``gunicorn -c gunicorn.conf.py wsgi:server``."""
from dashboard import Settings, create_app

app = create_app(Settings.from_env(demo=False))
server = app.server
