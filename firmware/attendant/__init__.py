"""The auto attendant: menus, routing, the directory, schedule feature codes and the menu tester.

(A regular package, so that the wheel — ``packages = find:`` in setup.cfg — ships it to the appliance.)
"""
