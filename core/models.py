"""Import every table so ``Base.metadata`` is complete (for Alembic and ``create_all``)."""

from core.accounts.models import Account, User
from core.auth.models import AnswerRating, ApiKey, ThreadMetadata
from core.automations.models import Automation, ScoreDefinition, ScoreValue
from core.billing.models import ActivityEntry, SmsCreditEntry
from core.campaigns.models import Campaign, CampaignLink, CampaignSend, EngagementEvent, TestSend
from core.chats.models import ActionRecord, ChatThread
from core.commerce.models import AbandonedCart, Order, OrderItem
from core.contacts.models import (
    Contact,
    ContactFieldValue,
    ContactTag,
    CustomField,
    ListSubscription,
    MailingList,
    Tag,
)
from core.content.models import (
    BrandKit,
    BusinessGoal,
    Form,
    FormSubmission,
    SavedResponse,
    SavedResponseCategory,
)
from core.crm.models import CrmAccount, Deal, DealTask, Note, Pipeline, Stage
from core.db import Base
from core.segments.models import Segment
from core.tracking.models import CustomEvent, PageVisit, TrackedDomain

__all__ = [
    "AbandonedCart", "Account", "ActionRecord", "ActivityEntry", "AnswerRating", "ApiKey", "Automation", "Base", "BrandKit", "BusinessGoal", "Campaign",
    "CampaignLink", "CampaignSend", "ChatThread", "Contact", "ContactFieldValue", "ContactTag", "CrmAccount", "CustomEvent",
    "CustomField", "Deal", "DealTask", "EngagementEvent", "Form", "FormSubmission", "ListSubscription",
    "MailingList", "Note", "Order", "OrderItem", "PageVisit", "Pipeline", "SavedResponse",
    "SavedResponseCategory", "ScoreDefinition", "ScoreValue", "Segment", "SmsCreditEntry", "Stage", "Tag",
    "TestSend", "ThreadMetadata", "TrackedDomain", "User",
]
