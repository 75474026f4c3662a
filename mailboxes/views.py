from django.shortcuts import render

from accounts.roles import portal_user_required


@portal_user_required
def casella_list(request):
    return render(request, "mailboxes/casella_list.html", {"caselle": []})


@portal_user_required
def titolare_list(request):
    return render(request, "mailboxes/titolare_list.html", {"titolari": []})
