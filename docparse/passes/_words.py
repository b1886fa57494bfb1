"""A small, hand-written English word list for de-hyphenation (no dictionary download).

Two kinds of entries: common words that also occur as halves of real hyphenated compounds
("well-known", "long-term", "end-user": both halves are words, so the hyphen is kept), and closed
compounds whose halves are words too ("some-thing" at a line end is "something"). Suffix-like
fragments that never stand alone ("-ment", "-tion") are in SUFFIXES. The document's own
vocabulary does most of the work; this list only covers what a short document may not repeat.
"""

from __future__ import annotations

COMMON_WORDS = frozenset(
    """
    a about above access after again against age all also an and any area as at back
    base based be been before being best better between big block body book both box but by
    call can case cell change class clear close code cold color common control core cost
    could cross data day deep design do down draw drive driven each early east end even
    ever every eye face fact far fast feed few field file fine first fit five fixed flow
    for form four free from front full function go good great ground group half hand hard
    have he head high hold home how in input into it its key kind know known large last
    late layer left less level life light like line link list little live load local long
    low made main make man many map mark may me mid mind mode more most much multi must
    name near need net new next no non not now number of off old on one only open or order
    other out over own page part per place point post pre price pro process re read ready
    real right role run safe same scale second see self set short side single size small so
    some source start state step stop sub such take task team term test than that the their
    them then there these they thing third this three through time to top two type under
    up use used user value very view wall way we web well west what when where which white
    who wide will with word work world year you
    art based bound free driven friendly like oriented related specific time wise
    something nothing anything everything someone everyone anyone without within however
    therefore another cannot into onto upon itself themselves although throughout overall
    otherwise furthermore moreover nevertheless understand understanding overview framework
    workflow workflows database databases software hardware network networks website online
    offline keyboard output outputs input inputs feedback background breakthrough outcome
    outcomes income update updates upgrade download upload whatever whenever wherever
    whereas meanwhile nowadays sometimes somewhere everywhere headquarters benchmark
    benchmarks dataset datasets baseline baselines pipeline pipelines document documents
    information example examples important development management performance different
    government environment international community experience available following
    recognition processing language languages analysis results paragraph paragraphs
    section sections table tables figure figures report reports annual financial
    review reviews
    """.split()
)

#: Prefixes that form real hyphenated compounds with a word ("co-operation", "multi-layer").
PREFIXES = frozenset(
    """
    anti auto bi co counter cross de ex extra hyper inter intra macro mega meta micro mid mini
    multi neo non out over post pre pro pseudo quasi re self semi sub super trans tri ultra
    un under
    """.split()
)

SUFFIXES = frozenset(
    """
    ment ments tion tions sion sions ing ings ness nesses ity ities ance ances ence ences ly
    ally ably ibly able ible ous ously ive ives ively ical ically ated ation ations ized ised
    ize izes izing ise ises ising ism isms ist ists ure ures ial ially ent ents ant ants ed
    er ers est ful fully less lessly ship ships hood ary ory ery ic ics ility ilities tive
    tives tively ingly edly ward wards age ages ian ians ular ology ologies graphy ual ually
    ency ancy ative atives itive ence tor tors sor sors ure ised ogy ogies tic tics tical
    ciency cient ious iously eous ment mental ments nal nally tial tially ture tures
    """.split()
)
