"""icl-theory's exact wing: SymPy derivations of the LSA theory. ``from derivations import registry``."""
