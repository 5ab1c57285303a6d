module github.com/hearthlm/hearth

go 1.26
