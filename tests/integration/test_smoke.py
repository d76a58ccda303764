def test_a_customer_round_trips(client):
    created = client.post("/v1/customers", {"given_name": "Ana", "email": "ana@example.com"})
    assert created.status == 201, created.text
    read = client.get(f"/v1/customers/{created.json()['id']}")
    assert read.status == 200 and read.json()["email"] == "ana@example.com"
