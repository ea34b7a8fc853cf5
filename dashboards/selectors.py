"""Read-only data for the Dash apps (thin callbacks call these; figures stay pure)."""

from npda.models import BoundaryLayer, PaediatricDiabetesUnit


def boundary_layer_text(level: str) -> str:
    text = BoundaryLayer.objects.filter(level=level).values_list("geojson", flat=True).first()
    return text or '{"type":"FeatureCollection","features":[]}'


def unit_points() -> list[dict]:
    """Code, name and WGS84 point of every unit that has a location."""
    return [
        {"pz_code": code, "name": name, "longitude": point.x, "latitude": point.y}
        for code, name, point in PaediatricDiabetesUnit.objects.filter(point__isnull=False)
        .order_by("pz_code")
        .values_list("pz_code", "name", "point")
    ]
