from photosorter.cli import main

# guarded: worker processes (spawned for analysis) import this module without running the app again
if __name__ == "__main__":
    raise SystemExit(main())
