"""Factories for the audit tables. Units and organisations are the real reference data."""

import datetime as dt

import factory

from npda.data_model import models as m
from npda.data_model.identifiers import nhs_number_check_digit


def synthetic_nhs_number(n: int) -> str:
    """The n-th valid NHS number of the 999 test range: distinct for distinct n < 900,000.

    For each eight-digit prefix, at least nine of the ten ninth digits give a valid check digit;
    the first nine of them are used."""
    prefix = f"999{n // 9:05d}"
    valid = [d for d in range(10) if nhs_number_check_digit(f"{prefix}{d}") is not None]
    first_nine = f"{prefix}{valid[n % 9]}"
    return f"{first_nine}{nhs_number_check_digit(first_nine)}"


class NPDAUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.NPDAUser

    email = factory.Sequence(lambda n: f"user{n}@npda.example")
    first_name = "Test"
    surname = factory.Sequence(lambda n: f"User{n}")
    password = "a-long-test-password"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class AuditPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.AuditPeriod
        django_get_or_create = ("start_date",)

    class Params:
        year = 2024

    start_date = factory.LazyAttribute(lambda o: dt.date(o.year, 4, 1))
    end_date = factory.LazyAttribute(lambda o: dt.date(o.year + 1, 3, 31))
    slug = factory.LazyAttribute(lambda o: f"{o.year}-{o.year + 1}")

    @classmethod
    def _get_or_create(cls, model_class, *args, **kwargs):
        """Periods are seeded reference data: take the seeded row and set the fields asked for
        (`is_open=True` on a seeded closed period), as the test's transaction will undo."""
        period, _ = model_class.objects.update_or_create(
            start_date=kwargs.pop("start_date"), defaults=kwargs
        )
        return period


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Patient

    nhs_number = factory.Sequence(synthetic_nhs_number)
    date_of_birth = dt.date(2012, 6, 15)
    sex = 1
    ethnicity = "A"
    diabetes_type = 1
    diagnosis_date = dt.date(2019, 3, 3)
    postcode = "WC1X8SH"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Site

    patient = factory.SubFactory(PatientFactory)
    paediatric_diabetes_unit = factory.LazyFunction(
        lambda: m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")
    )
    date_joined = dt.date(2019, 3, 3)
    is_active = True


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Submission

    paediatric_diabetes_unit = factory.LazyFunction(
        lambda: m.PaediatricDiabetesUnit.objects.get(pz_code="PZ041")
    )
    audit_period = factory.SubFactory(AuditPeriodFactory)
    is_active = True
    status = factory.LazyAttribute(lambda o: "active" if o.is_active else "superseded")
    file_name = "PZ041 NPDA data 2425.csv"


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Visit

    patient = factory.SubFactory(PatientFactory)
    visit_date = dt.date(2024, 6, 10)
    source_row = factory.Sequence(lambda n: n + 2)


def user_in_group(group: str, units=()) -> m.NPDAUser:
    """A user in one of the six groups, working for the given units (PZ codes)."""
    from django.contrib.auth.models import Group

    person = NPDAUserFactory()
    person.groups.add(Group.objects.get(name=group))
    person.organisation_employers.set(m.PaediatricDiabetesUnit.objects.filter(pz_code__in=units))
    return person
