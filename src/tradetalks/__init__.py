"""tradetalks: analyse and simulate bilateral trade negotiations.

Real economic models (partial-equilibrium SMART/GSIM, structural gravity) turn every option on the agenda into
payoffs per stakeholder; the bargaining layer computes the exact Pareto frontier, the standard bargaining solutions,
the ZOPA, the value of linking security to trade and how far a real deal is from the frontier.
"""

__version__ = "0.1.0"
