from ingestd.cli.main import run

run()
