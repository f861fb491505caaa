"""icl-theory: the face (command line, reports) over the derivations/ and verify/ wings."""
