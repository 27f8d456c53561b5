"""A season of congresses in and out of the app (../shared/contracts/season.md).

- ``sheets``: reading a season file (CSV or XLSX) into header and rows, with encoding errors.
- ``columns``: the contract's columns, header matching and the typed value of each cell.
- ``checking``: every issue of a whole file, against itself and the database, and the plan.
- ``importing``: the checked file written in one transaction (or nothing).
- ``exporting``: results (CSV, JSON) and a round's ballots (JSON Lines).
- ``backup``: one file with the database (a logical dump) and the stored files; restore.
- ``dashboard``: the home page (every congress in scope, its state and progress).
- ``routes``/``forms``/``template_file``: the web upload with preview, the template, the export.
"""
