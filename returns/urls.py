from django.urls import path

from .views import cases, home, requests, scripts, training

app_name = "returns"

urlpatterns = [
    path("", home.home, name="home"),
    # Return requests
    path("requests/", requests.request_list, name="request_list"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/photos/", requests.photo_upload, name="photo_upload"),
    path("requests/<int:pk>/link/", requests.photo_link_new, name="photo_link_new"),
    path("requests/<int:pk>/inspect/", requests.request_inspect, name="request_inspect"),
    path("requests/<int:pk>/<str:action>/", requests.request_action, name="request_action"),
    path("photos/<int:pk>/", requests.photo_file, name="photo_file"),
    path("confirmations/", requests.confirm_queue, name="confirm_queue"),
    path("receiving/", requests.receiving_queue, name="receiving_queue"),
    path("reasons/", requests.reasons_chart, name="reasons_chart"),
    # The customer's one-time photo link (no login)
    path("p/<str:token>/", requests.customer_photos, name="customer_photos"),
    # After-sales cases, callbacks, repeat customers
    path("cases/", cases.case_list, name="case_list"),
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("callbacks/", cases.callback_list, name="callback_list"),
    path("callbacks/new/", cases.callback_new, name="callback_new"),
    path("callbacks/<int:pk>/", cases.callback_detail, name="callback_detail"),
    path("customers/repeat/", cases.repeat_customers, name="repeat_customers"),
    # Reply scripts
    path("scripts/", scripts.script_list, name="script_list"),
    path("scripts/new/", scripts.script_new, name="script_new"),
    path("scripts/changes/", scripts.script_changes, name="script_changes"),
    path("scripts/<int:pk>/", scripts.script_detail, name="script_detail"),
    path("scripts/<int:pk>/edit/", scripts.script_edit, name="script_edit"),
    # Service staff onboarding
    path("training/", training.training_home, name="training_home"),
    path("training/start/", training.training_start, name="training_start"),
    path("training/sessions/", training.sharing_sessions, name="sharing_sessions"),
    path("training/quiz/<int:attempt_pk>/", training.training_quiz, name="training_quiz"),
    path("training/<int:pk>/", training.training_detail, name="training_detail"),
    path("training/<int:pk>/read/<int:product_id>/", training.training_tick, name="training_tick"),
    path("training/<int:pk>/quiz/", training.training_quiz_start, name="training_quiz_start"),
    path("training/<int:pk>/clear/", training.training_clear, name="training_clear"),
    path("training/<int:pk>/withdraw/", training.training_withdraw, name="training_withdraw"),
]
