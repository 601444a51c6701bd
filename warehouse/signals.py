"""What the warehouse tells the layers above (DESIGN §1).

- ``parcel_packed(parcel, orders)``: a parcel is closed; finance opens the invoice request
  for each order that needs one.
- ``parcel_shipped(parcel, orders)``: the courier signed for it.
- ``parcels_shipped(parcels, orders)``: the same, once for up to a thousand parcels signed
  for together, with all their orders: for a receiver that answers with one query, not one
  a parcel (a manifest of a Double-11 day holds tens of thousands).
- ``parcel_delivered(parcel, orders)``: the carrier reported it delivered.
"""

from django.dispatch import Signal

parcel_packed = Signal()
parcel_shipped = Signal()
parcels_shipped = Signal()
parcel_delivered = Signal()
