"""The modules of tools/bench/report.py, the MelloOS vs Linux benchmark report.

  results.py    parsing the results files; the rows and their targets
  tables.py     the text and markdown tables (LABELS: the rows' labels)
  documents.py  report.md and the README's benchmark section
  charts.py     report.png and footprint.png (Canvas, PNG encoding)
  font.py       the bitmap font the charts are labelled with

report.py is the command line; it imports these with its own directory on
sys.path, so it runs from any directory.
"""
