// FerryCore
