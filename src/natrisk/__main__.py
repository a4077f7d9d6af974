from natrisk.cli import app

app(prog_name="natrisk")
