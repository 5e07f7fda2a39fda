"""The address book: each user's shipping addresses, one of them the
default. Checkout copies the chosen one onto every order of the purchase,
so later edits never change where an order went."""

from .. import db

MAX_ADDRESSES = 20
MAX_RECIPIENT = 200
MAX_ADDRESS = 500


class AddressBookFull(Exception):
    """The user already has MAX_ADDRESSES addresses."""


def addresses_of(user_id: int) -> list[dict]:
    """The user's addresses (id, recipient, address, is_default), the
    default first, then oldest first. At most MAX_ADDRESSES rows."""
    return db.query("""SELECT id, recipient, address, is_default FROM addresses
                       WHERE user_id = %s ORDER BY is_default DESC, id LIMIT %s""", (user_id, MAX_ADDRESSES))


def address_of(user_id: int, address_id: int) -> dict | None:
    """One of the user's addresses, or None when it is not theirs."""
    return db.query_one("""SELECT id, recipient, address, is_default FROM addresses
                           WHERE id = %s AND user_id = %s""", (address_id, user_id))


# The address an order ships to: the chosen one (%(address)s) when it is the
# user's, or, when none is chosen, their default (or oldest) one. Checkout
# reads it in the statement that draws the new orders' ids.
SHIP_TO = """SELECT recipient, address FROM addresses
             WHERE user_id = %(user)s AND (id = %(address)s OR %(address)s::bigint IS NULL)
             ORDER BY is_default DESC, id LIMIT 1"""


def _clear_default(user_id: int) -> None:
    db.execute("UPDATE addresses SET is_default = false WHERE user_id = %s AND is_default", (user_id,))


def add_address(user_id: int, recipient: str, address: str, make_default: bool = False) -> int:
    """Add an address (the first one is the default); returns its id.
    Raises AddressBookFull past MAX_ADDRESSES."""
    return db.run_transaction(_add, user_id, recipient.strip(), address.strip(), make_default)


def _add(user_id: int, recipient: str, address: str, make_default: bool) -> int:
    # The user's row lock serialises their address-book changes, so the
    # count and the one default cannot race.
    db.query_value("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
    count = db.query_value("SELECT count(*) FROM addresses WHERE user_id = %s", (user_id,))
    if count >= MAX_ADDRESSES:
        raise AddressBookFull(user_id)
    if make_default or count == 0:
        _clear_default(user_id)
        make_default = True
    return db.query_value("""INSERT INTO addresses (user_id, recipient, address, is_default)
                             VALUES (%s, %s, %s, %s) RETURNING id""",
                          (user_id, recipient, address, make_default))


def update_address(user_id: int, address_id: int, recipient: str, address: str, make_default: bool) -> bool:
    """Change one of the user's addresses; False when it is not theirs."""
    return db.run_transaction(_update, user_id, address_id, recipient.strip(), address.strip(), make_default)


def _update(user_id: int, address_id: int, recipient: str, address: str, make_default: bool) -> bool:
    db.query_value("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
    if make_default and address_of(user_id, address_id):
        _clear_default(user_id)
    return db.execute(
        """UPDATE addresses SET recipient = %s, address = %s, is_default = is_default OR %s
           WHERE id = %s AND user_id = %s""", (recipient, address, make_default, address_id, user_id)) == 1


def delete_address(user_id: int, address_id: int) -> bool:
    """Delete one of the user's addresses (orders keep their copies); when it
    was the default, the oldest remaining one becomes the default. False when
    it is not theirs."""
    return db.run_transaction(_delete, user_id, address_id)


def _delete(user_id: int, address_id: int) -> bool:
    db.query_value("SELECT id FROM users WHERE id = %s FOR NO KEY UPDATE", (user_id,))
    if not db.execute("DELETE FROM addresses WHERE id = %s AND user_id = %s", (address_id, user_id)):
        return False
    db.execute("""UPDATE addresses SET is_default = true
                  WHERE id = (SELECT id FROM addresses WHERE user_id = %s ORDER BY id LIMIT 1)
                    AND NOT EXISTS (SELECT 1 FROM addresses WHERE user_id = %s AND is_default)""",
               (user_id, user_id))
    return True


def shipping_label(row: dict) -> str:
    """The text copied onto an order: recipient, then the address."""
    return f"{row['recipient']}\n{row['address']}"


