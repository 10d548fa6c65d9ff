// Applies the schema before the API starts (prints what it would apply in this example).
console.log("migrate: schema up to date");
