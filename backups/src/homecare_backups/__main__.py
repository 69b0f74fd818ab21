"""`python -m homecare_backups ...` is the same as the `homecare-backups` console script."""

from homecare_backups.cli import main

raise SystemExit(main())
