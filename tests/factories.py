from __future__ import annotations

import factory

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from docsite.documents.models import Space


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*extracted)


class SpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Space
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"space-{n}")
    name = factory.LazyAttribute(lambda space: space.slug.title())


def feed_item_shown(reader, document, *, at, clicked: bool = False):
    """Log ``document`` as shown to ``reader`` on a feed page at ``at``, and
    opened from there at once when ``clicked``."""
    import uuid

    from interests.models import FeedImpression

    return FeedImpression.objects.create(
        user=reader,
        document=document,
        page_id=uuid.uuid4(),
        position=1,
        ranker_version="test",
        features=[],
        shown_at=at,
        clicked_at=at if clicked else None,
    )
