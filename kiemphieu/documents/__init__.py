"""Printable documents of the web app: a round's ballots and the congress results summary."""
