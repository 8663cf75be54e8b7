#!/usr/bin/python3
"""Writes credit_fr.csv: German Credit (../../samples/german_credit.csv) as a French
Excel would save it: Windows-1252, ';' between fields, decimal commas, accented
column names and values. Run with Debian's python3 (pandas):

    /usr/bin/python3 web/testdata/make_french.py
"""
import os
import pandas as pd

here = os.path.dirname(os.path.abspath(__file__))
src = pd.read_csv(os.path.join(here, "..", "..", "samples", "german_credit.csv"))

purpose = {"A40": "voiture neuve", "A41": "voiture d'occasion", "A42": "mobilier/équipement",
           "A43": "radio/télévision", "A44": "électroménager", "A45": "réparations",
           "A46": "éducation", "A47": "vacances", "A48": "reconversion", "A49": "entreprise",
           "A410": "autres"}
housing = {"A151": "locataire", "A152": "propriétaire", "A153": "logé gratuitement"}
checking = {"A11": "< 0 €", "A12": "0 à 200 €", "A13": "≥ 200 €".replace("≥", ">="), "A14": "aucun compte"}

out = pd.DataFrame({
    "Compte courant": src["Status of existing checking account"].map(checking),
    "Durée (mois)": src["Duration in month"],
    "Objet du crédit": src["Purpose"].map(purpose),
    "Montant (€)": src["Credit amount"],
    # a decimal column: monthly instalment in euros, two decimals
    "Mensualité (€)": (src["Credit amount"] / src["Duration in month"]).round(2),
    "Âge": src["Age in years"],
    "Logement": src["Housing"].map(housing),
    "Crédits en cours": src["Number of existing credits at this bank"],
    "Risque": src["class"].map({1: "bon", 2: "mauvais"}),
})
out.to_csv(os.path.join(here, "credit_fr.csv"), sep=";", decimal=",", index=False, encoding="cp1252",
           lineterminator="\r\n")
