"""Set-up pages: organisations, congresses, exclusions, count committee, elections, candidates, rounds."""
