"""Static site and PDF builder for the CIPnet Good Practices Guide (D1.2.3).

The pipeline, one module per stage:
    content   load → validate → model (`load_site`)
    render    Site → pages, in each language (pure)
    pdf       Site → PDF editions
    write     put a finished build in place, atomically
"""
__version__ = "0.1.0"
