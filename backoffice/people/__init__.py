"""One person across vendors, in two halves.

- ``linking``: automatic linking. Contacts sharing an e-mail key or an E.164 phone key become one
  ``Person``, transitively, whatever their account or vendor; it only ever joins, and it leaves
  alone what staff pinned. Run after every synced batch, on admin saves and by ``link_persons``.
- ``corrections``: the staff's merge of persons and split of contacts off their person, which
  linking then respects; each is recorded in the admin history.

``overview`` gathers what a person's page shows.
"""
