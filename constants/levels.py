"""The reporting levels of geography.md §1, in display order."""

from django.db import models


class Level(models.TextChoices):
    PDU = "pdu", "Paediatric Diabetes Unit"
    TRUST = "trust", "NHS trust"
    LOCAL_HEALTH_BOARD = "lhb", "Local Health Board (Wales)"
    INTEGRATED_CARE_BOARD = "icb", "Integrated Care Board"
    NHS_ENGLAND_REGION = "region", "NHS England region"
    COUNTRY = "country", "Country"
    PAEDIATRIC_DIABETES_NETWORK = "network", "Paediatric diabetes network"
    OPEN_UK_NETWORK = "openuk", "OPEN UK network"
    NATIONAL = "national", "National (England and Wales)"


class BoundaryLevel(models.TextChoices):
    """Levels that have polygons, each served as one cached web GeoJSON layer."""

    COUNTRY = "country", "Countries"
    NHS_ENGLAND_REGION = "region", "NHS England regions"
    INTEGRATED_CARE_BOARD = "icb", "Integrated Care Boards"
    LOCAL_HEALTH_BOARD = "lhb", "Local Health Boards"


# Required on every map and map export (geography.md §5.6).
OGL_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
    "Contains OS data © Crown copyright and database right 2023."
)
RCPCH_ATTRIBUTION = "Unit codes, networks and names: RCPCH National Paediatric Diabetes Audit."
