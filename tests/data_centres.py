"""The eight data centres as Zoho documents them, written out apart from the code so that a typo shows.

https://www.bigin.com/developer/docs/apis/v2/multi-dc.html (CA and SA from Zoho's accounts-server list).
"""

from __future__ import annotations

#: code -> (accounts server, API domain)
EXPECTED_DATA_CENTRES = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
}
