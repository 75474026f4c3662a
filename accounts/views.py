from django.shortcuts import redirect

from .roles import portal_user_required


@portal_user_required
def home(request):
    return redirect("mailboxes:casella_list")
