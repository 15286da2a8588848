"""Structural gravity: PPML estimation (pyfixest) and general-equilibrium counterfactuals.

References
----------
Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy Analysis: The Structural
Gravity Model*, WTO/UNCTAD. Anderson & van Wincoop (2003), AER 93(1). Caliendo & Parro (2015), REStud 82(1).
"""
