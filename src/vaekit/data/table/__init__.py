"""Tables: the columns a reader keeps (:mod:`.columns`), a data frame made into loaded data
(:mod:`.frames`), what kind each column is (:mod:`.kinds`), where its values sit in the model's
input and output (:mod:`.layout`), and the encoder that turns a table into the model's numbers and
back (:mod:`.encoder`)."""
