"""A season of congresses in and out of the app (../shared/contracts/season.md).

- ``sheets``: reading a season file (CSV or XLSX) into header and rows, with encoding errors.
- ``columns``: the contract's columns, header matching and the typed value of each cell.
- ``importing``: validating a whole file against itself and the database, then writing it.
- ``exporting``: results (CSV, JSON) and a round's ballots (JSON Lines).
- ``backup``: one file with the database (a logical dump) and the stored files; restore.
- ``routes``/``forms``: the web upload with preview and the template file.
"""
