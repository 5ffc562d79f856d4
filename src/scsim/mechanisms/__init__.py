"""The mechanisms of MODEL.md, one module each, in the order of the specification.

======================  ===========================================  ==========
MODEL.md section         module                                        file
======================  ===========================================  ==========
2  citizens              :class:`~.people.People` (``people``)         people.py
3  the social graph      :class:`~.network.SocialGraph` (``graph``)    network.py
3, 8 units, supervisors  :class:`~.groups.Groups` (``groups``)         groups.py
4  data sources          :class:`~.sources.Sources` (``sources``)      sources.py
5  the algorithm         :class:`~.scoring.Scoring` (``scoring``)      scoring.py
6  tiers and sanctions   :class:`~.sanctions.Sanctions`                sanctions.py
7  citizens respond      ostracism, rebuke, censorship, gaming,        behaviour/
                         appeals
8  the classroom         :class:`~.classroom.Classroom`                classroom.py
9  pattern of life       :class:`~.surveillance.Surveillance`          surveillance.py
10 what is measured      :class:`~.audit.Audit` (and each module's     audit.py
                         own columns)
12 reference model       :class:`~.reference.Reference`                reference.py
======================  ===========================================  ==========
"""
