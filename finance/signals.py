"""What finance tells the layers above (DESIGN §1: signals declared in the lower layer).

- ``refund_paid(refund)``: the money went back; a return waiting for it can close.
- ``refund_rejected(refund)``: a refund was turned down; whoever asked for it should know.
"""

from django.dispatch import Signal

refund_paid = Signal()
refund_rejected = Signal()
