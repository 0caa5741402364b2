"""English formats for salon staff: a 24-hour clock and the weekday, as salons read appointments.

Django's English defaults ("Nov. 30, 2026, 1:28 p.m.") are US style; salons on the product
work in 24-hour time (Russian's defaults already are).
"""

DATE_FORMAT = "D j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "D j M Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
