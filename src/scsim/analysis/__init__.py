"""What a run means and how runs compare: the measures of a model (:mod:`.model`), one citizen's
score explained term by term (:mod:`.explain`), a policy against its counterfactual
(:mod:`.compare`), parameter sweeps over many runs (:mod:`.sweep`) and their global sensitivity
(:mod:`.sensitivity`).

Nothing here runs in the tick loop: these functions read what a :class:`~scsim.Simulation` wrote.
"""
