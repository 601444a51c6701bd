"""What the warehouse tells the layers above (DESIGN §1).

- ``parcel_packed(parcel, orders)``: a parcel is closed; finance opens the invoice request
  for each order that needs one.
- ``parcel_shipped(parcel, orders)``: the courier signed for it.
- ``parcel_delivered(parcel, orders)``: the carrier reported it delivered.
"""

from django.dispatch import Signal

parcel_packed = Signal()
parcel_shipped = Signal()
parcel_delivered = Signal()
