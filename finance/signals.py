"""What finance tells the layers above (DESIGN §1: signals declared in the lower layer).

- ``refund_paid(refund)``: the money went back; a return waiting for it can close.
- ``refund_rejected(refund)``: a refund was turned down; whoever asked for it should know.
- ``remittance_received(remittance)``: a group-buying site's transfer came in; the deal it
  was for can move on.
"""

from django.dispatch import Signal

refund_paid = Signal()
refund_rejected = Signal()
remittance_received = Signal()
