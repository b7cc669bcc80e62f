from ingestd.cli.main import main

raise SystemExit(main())
