"""URLs of the dossier's bill of materials: the CSV of one version."""

from django.urls import path

from dossiers import bom

urlpatterns = [
    path("v<int:number>/bom.csv", bom.bom_csv_download, name="bom_csv"),
]
