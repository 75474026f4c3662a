"""Operations on active boxes: renew, revoke, enlarge, legal preservation, upgrade, extra users.

Each one is declared once, in its own module here, by an ``OperationSpec`` (registry.py): the
rules (which box can take it, per the spec; openapi-notes.md section 3), its price, the service
that records the intent, the call handler that sends it at most once, its forms, its page and
admin action.

  ============== ======================= ============= ===================================
  operation      call                    status        types / limits
  ============== ======================= ============= ===================================
  rinnovo        GET /pec/{id}/rinnovo   evasa,        every type; 1-5 years
                                         revocata
  revoca         DELETE /pec/{id}        evasa         every type; irreversible (the user
                                                       types the address to confirm)
  modifica       PATCH .../modifica      evasa         Legalmail; upgrades only; multiples
                                                       of 1024 MB (512 for preservation);
                                                       ABSOLUTE sizes are sent
  conservazione  PATCH .../conservazione evasa         Legalmail; not yet active; signed
                                                       form + ID document (PDF)
  trasformazione PATCH .../trasformazione evasa        Legalmail; upgrades only
  multiutenza    POST .../multiutenza    evasa         Legalmail; at most 25 users
  ============== ======================= ============= ===================================
"""
