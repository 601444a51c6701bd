"""What orders tells the layers above (DESIGN §1: signals declared in the lower layer).

- ``order_confirmed(order)``: the sales order exists; the warehouse allocates stock.
- ``order_cancelled(order)``: cancelled before release; the warehouse frees what it holds.
- ``order_cancellation_requested(order)``: the order is already released to the warehouse;
  the warehouse decides (``order_cancellation_accept`` / ``order_cancellation_decline``).
"""

from django.dispatch import Signal

order_confirmed = Signal()
order_cancelled = Signal()
order_cancellation_requested = Signal()
