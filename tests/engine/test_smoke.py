def test_smoke(office):
    seen = []

    async def app(leg):
        seen.append(await leg.play("hello"))
        seen.append(await leg.collect(3, 5, 2))
    office.engine.register_app("test", app)
    office.emit("fxo1", "ring", count=1)
    office.emit("fxo1", "caller_id", number="5551234", name="A")
    office.run(0.3)
    office.emit("fxo1", "digit", digit="2")
    office.run(0.1)
    office.emit("fxo1", "digit", digit="0")
    office.emit("fxo1", "digit", digit="1")
    office.run(5)
    print([e.as_dict() for e in office.events])
    assert seen == ["2", "01"]
