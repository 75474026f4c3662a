from django.shortcuts import render

from accounts.roles import office_required


@office_required
def richiesta_list(request):
    return render(request, "comunica/richiesta_list.html", {"richieste": []})
