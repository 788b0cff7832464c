from django.urls import URLPattern, URLResolver

app_name = "tracing"

# Each part of tracing (investigations and clusters, contacts and hand-overs, chains, flows and
# imports) appends its pages below, in its own section.
urlpatterns: list[URLPattern | URLResolver] = []

# --- Flows (where from, where to) and imports (views/flows.py; decision 1040)
from django.urls import path  # noqa: E402

from shouwang.tracing.views import flows as flow_views  # noqa: E402
from shouwang.tracing.views import imports as import_views  # noqa: E402

urlpatterns += [
    path("flows/", flow_views.flows_page, name="flows"),
    path("imports/links/", import_views.links_import_page, name="links-import"),
]

# --- Investigations, exposures, settings, clusters (views/investigations.py, views/clusters.py;
# decision 1010)
from shouwang.tracing.views import clusters as cluster_views  # noqa: E402
from shouwang.tracing.views import investigations as investigation_views  # noqa: E402

urlpatterns += [
    path("investigations/", investigation_views.investigation_list, name="investigations"),
    path("investigations/<int:investigation_id>/", investigation_views.investigation_detail,
         name="investigation-detail"),
    path("investigations/<int:investigation_id>/exposures/", investigation_views.exposure_add,
         name="investigation-exposure-add"),
    path("investigations/<int:investigation_id>/exposures/<int:exposure_id>/remove/",
         investigation_views.exposure_remove, name="investigation-exposure-remove"),
    path("investigations/<int:investigation_id>/source/",
         investigation_views.investigation_source, name="investigation-source"),
    path("investigations/<int:investigation_id>/complete/",
         investigation_views.investigation_complete, name="investigation-complete"),
    path("investigations/<int:investigation_id>/reopen/",
         investigation_views.investigation_reopen, name="investigation-reopen"),
    path("cases/<int:case_id>/investigation/", investigation_views.case_investigation,
         name="case-investigation"),
    path("clusters/", cluster_views.cluster_list, name="clusters"),
    path("clusters/detect/", cluster_views.cluster_detect, name="cluster-detect"),
    path("clusters/<int:cluster_id>/", cluster_views.cluster_detail, name="cluster-detail"),
]

# --- Contacts, hand-overs, follow-ups (views/contacts.py; decision 1020)
from django.urls import path  # noqa: E402

from shouwang.tracing.views import contacts as contact_views  # noqa: E402

urlpatterns += [
    path("contacts/", contact_views.contact_list, name="contacts"),
    path("contacts/release/", contact_views.contact_bulk_release, name="contacts-release"),
    path("contacts/<int:contact_id>/", contact_views.contact_detail, name="contact-detail"),
    path("contacts/<int:contact_id>/follow-up/", contact_views.contact_follow_up,
         name="contact-follow-up"),
    path("contacts/<int:contact_id>/release/", contact_views.contact_release,
         name="contact-release"),
    path("contacts/<int:contact_id>/lost/", contact_views.contact_lost, name="contact-lost"),
    path("contacts/<int:contact_id>/last-exposure/", contact_views.contact_last_exposure,
         name="contact-last-exposure"),
    path("contacts/<int:contact_id>/hand-over/", contact_views.contact_hand_over,
         name="contact-hand-over"),
    path("cases/<int:case_id>/contacts/", contact_views.case_contacts, name="case-contacts"),
    path("hand-overs/", contact_views.handover_inbox, name="handovers"),
    path("hand-overs/<int:hand_over_id>/", contact_views.handover_detail,
         name="handover-detail"),
    path("hand-overs/<int:hand_over_id>/accept/", contact_views.handover_accept,
         name="handover-accept"),
    path("hand-overs/<int:hand_over_id>/refuse/", contact_views.handover_refuse,
         name="handover-refuse"),
    path("hand-overs/<int:hand_over_id>/cancel/", contact_views.handover_cancel,
         name="handover-cancel"),
    path("hand-overs/<int:hand_over_id>/keep/", contact_views.handover_keep,
         name="handover-keep"),
]

# --- Transmission chains and links (views/chains.py; decision 1030)
from shouwang.tracing.views import chains as chain_views  # noqa: E402

urlpatterns += [
    path("chains/", chain_views.chain_stats_page, name="chains"),
    path("chains/export/", chain_views.chain_export_page, name="chains-export"),
    path("cases/<int:case_id>/chain/", chain_views.chain_case_page, name="case-chain"),
    path("cases/<int:case_id>/chain/export/", chain_views.chain_export_page,
         name="case-chain-export"),
    path("cases/<int:case_id>/infector/", chain_views.case_links_page, name="case-links"),
]
